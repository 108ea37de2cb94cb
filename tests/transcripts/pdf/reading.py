"""Reading a rendered PDF back the way a person or a scanner would: text, page sizes, pixels."""

from __future__ import annotations

import io

import pypdf
import pypdfium2
from PIL import Image

A4_POINTS = (595.28, 841.89)


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Each page's media box in points, read with pypdf (which also checks the file parses)."""
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    return [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages]


def embedded_fonts(data: bytes) -> list[tuple[str, bool]]:
    """(base font name, whether a font file is embedded) for every font the pages use."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    found: dict[str, bool] = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                files = ("/FontFile", "/FontFile2", "/FontFile3")
                embedded = any(key in descriptor for key in files)
                found[str(font["/BaseFont"])] = embedded
    return sorted(found.items())


def page_texts(data: bytes) -> list[str]:
    """The text of each page as PDFium extracts it (the engine of Chrome's PDF viewer)."""
    document = pypdfium2.PdfDocument(data)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def render(data: bytes, index: int, *, dpi: int = 200) -> Image.Image:
    """Page ``index`` rendered to a greyscale image at ``dpi``."""
    document = pypdfium2.PdfDocument(data)
    try:
        page = document[index]
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        image = bitmap.to_pil().copy()
        bitmap.close()
        page.close()
        return image
    finally:
        document.close()
