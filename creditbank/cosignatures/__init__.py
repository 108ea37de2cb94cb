"""The bank's side of witnessing: its configured witnesses and the cosignatures they sent."""
