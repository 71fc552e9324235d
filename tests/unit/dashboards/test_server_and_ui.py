"""How the dashboards are served, and the building blocks escaping what they show."""

from __future__ import annotations

import base64
import re

from minimarket.config import get_settings
from minimarket.dashboards import ui
from minimarket.dashboards.server import NOT_PREHEATED, DashboardServer, dashboards_dir, voila_arguments


def test_voila_serves_the_dashboards_folder_on_loopback_with_sources_stripped_a_timeout_and_culling() -> None:
    settings = get_settings()
    args = voila_arguments(settings, DashboardServer(port=8866, execution_timeout=90, cull_idle=600))
    assert args[0] == str(dashboards_dir(settings)) and dashboards_dir(settings).is_dir()
    for expected in (
        "--port=8866",
        "--Voila.ip=127.0.0.1",
        "--no-browser",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaExecutor.timeout=90",
        "--MappingKernelManager.cull_idle_timeout=600",
    ):
        assert expected in args
    assert not [a for a in args if "preheat" in a]
    preheated = voila_arguments(settings, DashboardServer(preheat=True, pool_size=2))
    assert "--preheat_kernel=True" in preheated and "--pool_size=2" in preheated
    denied = next(a for a in preheated if a.startswith("--VoilaKernelManager.preheat_denylist="))
    assert all(name in denied for name in NOT_PREHEATED)


def test_tables_and_notices_escape_what_they_show() -> None:
    html = ui.table_html([{"Producto": "<b>Yerba</b> & más", "Total": "$ 1.234,56", "_hidden": "x"}], numeric=["Total"])
    assert "&lt;b&gt;Yerba&lt;/b&gt; &amp; más" in html and "_hidden" not in html
    assert '<td class="num">$ 1.234,56</td>' in html
    assert "Sin datos." in ui.table_html([])
    assert "&lt;script&gt;" in ui.notice("<script>x</script>").value


def test_a_purchase_order_link_carries_the_csv_with_a_bom() -> None:
    link = ui.download_link("pedido.csv", "SKU;Producto\r\nYER-0001;Yerba\r\n", "Descargar pedido (CSV)")
    data = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', link)
    assert data and 'download="pedido.csv"' in link
    assert base64.b64decode(data.group(1)).decode("utf-8") == "\ufeffSKU;Producto\r\nYER-0001;Yerba\r\n"


def test_a_page_reads_as_a_spanish_summary_in_plain_text() -> None:
    page = ui.page("Facturas a revisar", "sub", [], summary="3 facturas esperan revisión.")
    bundle = page._repr_mimebundle_()
    assert bundle["text/plain"] == "Facturas a revisar. 3 facturas esperan revisión."
    assert "application/vnd.jupyter.widget-view+json" in bundle
