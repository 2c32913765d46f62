"""Refresh the README's pictures of the HTML view: `python docs/screenshots.py [CORPUS]`.

Builds the view of CORPUS (default ../shared/corpus) and photographs it in Debian's headless
Chromium, offline, at 1400x900: the overview, 4x zoomed in on the densest region (the side
panel folded), the
details panel of the first article, and that of the widest-covered story's earliest article.
Needs the test dependencies (`pip install '.[test]'`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import open_offline  # noqa: E402
from view_measure import measure, zoom_on_densest  # noqa: E402

import kg  # noqa: E402
from kg.viz import write_html  # noqa: E402


def main(corpus: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        html = write_html(kg.build([corpus]).graph, Path(tmp) / "graph.html")
        with open_offline(html) as opened:
            page = opened.page
            page.wait_for_function("window.kgReady === true", timeout=30_000)
            print("overview:", measure(page))
            page.screenshot(path=str(ROOT / "docs" / "view-overview.png"))
            title = page.evaluate(
                "network.body.data.nodes.get().find(n => n.kgKind === 'article').kgInfo.title")
            page.fill("#kg-search", title)
            page.press("#kg-search", "Enter")
            page.screenshot(path=str(ROOT / "docs" / "view-details.png"))
            page.keyboard.press("Escape")
            page.click("#kg-stories button.kg-go")  # the story with the most outlets
            page.wait_for_selector("#kg-story")
            page.screenshot(path=str(ROOT / "docs" / "view-story.png"))
            page.keyboard.press("Escape")
            page.evaluate("window.kgView.home()")
            zoom_on_densest(page, 4)
            page.click("#kg-fold")  # the panel folded to its title: the window is the graph's
            print("zoomed 4x:", measure(page))
            page.screenshot(path=str(ROOT / "docs" / "view-zoomed.png"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus")
