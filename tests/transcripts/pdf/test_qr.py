"""The QR code's module grid."""

from __future__ import annotations

from creditbank.transcripts.pdf import qr
from tests.transcripts.pdf import samples


def test_the_grid_is_a_square_qr_symbol() -> None:
    grid = qr.modules(samples.VERIFICATION_URL)
    size = len(grid)
    assert all(len(row) == size for row in grid)
    assert size >= 21 and (size - 21) % 4 == 0  # versions 1..40 are 21 + 4(v - 1) modules
    # The three finder patterns: a dark 7×7 ring in the corners.
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        assert all(grid[top][left + i] and grid[top + 6][left + i] for i in range(7))
