"""The hand-out order of a batch: the likely slowest first within each window, never past the window."""

from __future__ import annotations

from pathlib import Path

from minimarket.documents.reading_order import hand_out_order, likely_cost

HEADS = {"jpeg": b"\xff\xd8\xff\xe0", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-1.7\n", "txt": b"hola"}


def _file(folder: Path, name: str, kind: str, size: int) -> str:
    path = folder / name
    path.write_bytes(HEADS[kind] + b"\0" * size)
    return str(path)


def test_photos_go_first_then_scans_then_pdfs_the_larger_first(tmp_path: Path) -> None:
    files = [
        _file(tmp_path, "a.pdf", "pdf", 500_000),  # a PDF: usually a text layer, however large
        _file(tmp_path, "b.png", "png", 900_000),
        _file(tmp_path, "c.jpg", "jpeg", 200_000),
        _file(tmp_path, "d.txt", "txt", 10),  # refused at once
        _file(tmp_path, "e.jpg", "jpeg", 300_000),
        _file(tmp_path, "f.pdf", "pdf", 20_000),
    ]
    assert hand_out_order(files, window=16) == [4, 2, 1, 0, 5, 3]
    assert likely_cost(str(tmp_path / "missing.jpg"))[0] == likely_cost(files[3])[0]


def test_a_window_is_handed_out_whole_before_the_next(tmp_path: Path) -> None:
    files = [_file(tmp_path, f"{i:02d}.{'jpg' if i % 3 == 2 else 'pdf'}",
                   "jpeg" if i % 3 == 2 else "pdf", 1000) for i in range(10)]  # fmt: skip
    order = hand_out_order(files, window=4)
    assert sorted(order) == list(range(10))
    assert [set(order[i : i + 4]) for i in range(0, 10, 4)] == [{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}]
    assert order[:4] == [2, 0, 1, 3]  # the photo of the first window first, the PDFs in their order
    # with at most 4 in flight, the record due next has always been handed out before it is waited for
    for due in range(10):
        assert order.index(due) < (due // 4 + 1) * 4
