"""How a workbook prints: A4 landscape, fit to the page's width, titled, numbered pages.

Every worksheet ability2 writes (the evaluation report's and the comparison's) carries a
:class:`PrintSetup`:

* A4 (paper size 9), landscape, scaled so that every column fits the page's width; the
  height is free, so a long table runs over as many pages as it needs;
* the header row repeated at the top of every printed page (the print titles, ``$1:$1``);
* a page header with the region on the left, the table's title in the middle (bold; for the
  参训人员情况汇总表 the official title of the document's annex, 附件2) and the date on the right;
* a footer "第 N 页，共 M 页" (``lang="en"``: "Page N of M");
* margins of 0.5 inch left and right, 0.75 inch top and bottom (0.3 inch for the header and
  footer), Excel's "normal" top and bottom with narrower sides for the width.

Excel keeps at most 255 characters of header text: a longer region or title is shortened
(with …), the title last. A ``&`` in a title is written ``&&``, so it prints as itself.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["MARGINS", "PAPER_A4", "PrintSetup"]

#: Excel's paper size code for A4
PAPER_A4 = 9
#: page margins in inches: left, right, top, bottom, header, footer
MARGINS: tuple[float, float, float, float, float, float] = (0.5, 0.5, 0.75, 0.75, 0.3, 0.3)
#: characters Excel keeps in a header or footer
_HEADER_LIMIT = 255

_DATE = {"zh": "日期：{on}", "en": "Date: {on}"}
_PAGES = {"zh": "第 &P 页，共 &N 页", "en": "Page &P of &N"}


def _escaped(text: str) -> str:
    """``text`` as header text: ``&`` doubled (a code starts with one), white space runs as one space.

    Control characters, which XML cannot hold, are dropped.
    """
    text = "".join(ch for ch in " ".join(text.split()) if ch >= " " and ch not in "\ufffe\uffff")
    return text.replace("&", "&&")


def _shortened(text: str, size: int) -> str:
    """``text`` in at most ``size`` characters (of header text), ending with … when cut."""
    if len(_escaped(text)) <= size:
        return text
    while text and len(_escaped(text)) > size - 1:
        text = text[:-1]
    return text + "…"


@attrs.frozen
class PrintSetup:
    """The page setup of one worksheet: its title, the region and date it reports on, the language."""

    title: str
    region: str
    on: str
    lang: str = "zh"

    def header(self) -> str:
        """The page header as Excel's codes: ``&L`` region, ``&C`` bold title, ``&R`` date."""
        date = _escaped(_DATE.get(self.lang, _DATE["zh"]).format(on=self.on))
        fixed = len("&L&C&B&B&R") + len(date)
        room = _HEADER_LIMIT - fixed
        region = _shortened(self.region, max(8, room // 3))
        room -= len(_escaped(region))
        title = _shortened(self.title, room)
        return f"&L{_escaped(region)}&C&B{_escaped(title)}&B&R{date}"

    def footer(self) -> str:
        """The page footer: the page number and the count of pages, centred."""
        return "&C" + _PAGES.get(self.lang, _PAGES["zh"])

    # -- as the streamed workbook writes it (ability2.reports._xlsxml) --------------------

    def sheet_properties(self) -> str:
        """The ``<sheetPr>`` element: the sheet is scaled to fit (``fitToPage``)."""
        return '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'

    def page_xml(self) -> str:
        """``<pageMargins>``, ``<pageSetup>`` and ``<headerFooter>``, as XlsxWriter writes them."""
        left, right, top, bottom, head, foot = MARGINS
        return (
            f'<pageMargins left="{left}" right="{right}" top="{top}" bottom="{bottom}" header="{head}" footer="{foot}"/>'
            f'<pageSetup paperSize="{PAPER_A4}" fitToHeight="0" orientation="landscape"/>'
            f"<headerFooter><oddHeader>{_xml(self.header())}</oddHeader>"
            f"<oddFooter>{_xml(self.footer())}</oddFooter></headerFooter>"
        )

    # -- through XlsxWriter (the comparison workbook) ---------------------------------------

    def apply(self, worksheet: Any) -> None:
        """Set the page setup of an XlsxWriter ``worksheet`` (its first row repeated on every page)."""
        left, right, top, bottom, head, foot = MARGINS
        worksheet.set_paper(PAPER_A4)
        worksheet.set_landscape()
        worksheet.fit_to_pages(1, 0)
        worksheet.repeat_rows(0)
        worksheet.set_margins(left=left, right=right, top=top, bottom=bottom)
        worksheet.set_header(self.header(), {"margin": head})
        worksheet.set_footer(self.footer(), {"margin": foot})


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
