"""``minimarket train``: training runs that log to MLflow and register a model (same code as the notebooks)."""

from __future__ import annotations

from pathlib import Path

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(
    help="Train models, log them to MLflow and register them with the promotion gate.", no_args_is_help=True
)


@app.command("extractor")
def extractor_cmd(
    n_train: int = typer.Option(3, "--n-train", min=1, help="Synthetic training documents per kind."),
    n_val: int = typer.Option(2, "--n-val", min=1, help="Validation documents per kind (OCR and model choice)."),
    n_test: int = typer.Option(2, "--n-test", min=1, help="Test documents per kind (reported figures, gate)."),
    kinds: str = typer.Option("pdf", "--kinds", help="Comma-separated document kinds: pdf, scan, photo."),
    seed: int = typer.Option(7, "--seed", help="Seed of the synthetic documents and the models."),
    ocr_grid: str = typer.Option(
        "default",
        "--ocr-grid",
        help="OCR settings to try: default, small, full, or keys like psm6-bin0-x1,psm11-bin1-x1.",
    ),
    models: str = typer.Option(
        "row,cell,header,matcher", "--models", help="Learned parts to consider: row, cell, header, matcher."
    ),
    use_corrections: bool = typer.Option(
        True, "--corrections/--no-corrections", help="Use invoices corrected in the store as labels."
    ),
    workers: int = typer.Option(2, "--workers", min=1, max=32, help="Processes for generation and OCR."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where the synthetic corpus is written/reused."),
    register: bool = typer.Option(True, "--register/--no-register", help="Register and gate the model."),
    metrics_path: Path | None = typer.Option(None, "--metrics", help="Also write the figures JSON here."),
) -> None:
    """Train the invoice-extractor: synthetic documents with ground truth, OCR settings chosen on validation,
    row/cell classifiers and product matcher, rules vs learned on the test split; logs to MLflow, registers
    it ('challenger', 'champion' if not worse) and prints the figures as JSON."""
    import logging

    from minimarket.learning.train import TrainParams, train_extractor

    logging.basicConfig(level=logging.WARNING)
    try:
        params = TrainParams(
            n_train=n_train,
            n_val=n_val,
            n_test=n_test,
            kinds=tuple(kinds.split(",")),
            seed=seed,
            ocr_grid=ocr_grid,
            models=tuple(m for m in models.split(",") if m.strip()),
            use_corrections=use_corrections,
            workers=workers,
            data_dir=data_dir,
            register=register,
            metrics_path=metrics_path,
        )
        from minimarket.learning.ocr_tuning import parse_grid

        parse_grid(ocr_grid)
    except ValueError as exc:
        fail(str(exc), 2)
    outcome = train_extractor(params, progress=lambda message: typer.echo(message, err=True))
    print_json(outcome.figures)


@app.command("figures")
def figures_cmd(
    sheets: int = typer.Option(72, "--sheets", min=1, max=1000, help="Rendered sheets of figures to learn from."),
    seed: int = typer.Option(1, "--seed", help="Seed of the sheets and of the network."),
    out: Path | None = typer.Option(None, "--out", help="Where to write the model (default: the bundled one)."),
) -> None:
    """Train the figure reader's glyph model on rendered, degraded figures (Helvetica, Times, Courier) and
    write it (by default over the model bundled with the package, which OCR uses for photos); prints its
    test accuracy as JSON."""
    from minimarket.documents.ocr.figures import MODEL_PATH
    from minimarket.learning.figure_glyphs import train_and_save

    target = out or MODEL_PATH
    if not target.parent.is_dir():
        fail(f"La carpeta {target.parent} no existe.", 2)
    try:
        figures = train_and_save(target, sheets=sheets, seed=seed, progress=lambda m: typer.echo(m, err=True))
    except OSError as exc:
        fail(f"No se pudo escribir el modelo en {target}: {exc.strerror or exc}.", 1)
    print_json(figures)
