"""Hand-made XLSX and ODS files for the size-limit tests: every byte of their XML is chosen,
so a test can make a sheet that lies about its size or inflates far beyond it without ever
holding the inflated bytes in memory."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

_CT = ('<?xml version="1.0" encoding="UTF-8"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
       'officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
       'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
       'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="Enquête" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_rows() -> str:
    """A header and one actor, rows 1 and 2."""
    return (f'<row r="1">{cell("A1", "Nom")}{cell("B1", "Commune")}</row>'
            f'<row r="2">{cell("A2", "Asso des Alpes")}{cell("B2", "Gap")}</row>')


def sheet_xml(rows: str, dimension: str | None = "A1:B2") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{_SHEET_HEAD}{dim}<sheetData>{rows}</sheetData></worksheet>"


def write_xlsx(path: Path, sheet: str | Iterable[bytes], *, shared: str = "<sst/>") -> Path:
    """An XLSX whose first sheet's XML is ``sheet`` (text, or chunks of bytes streamed into the
    zip so that a large sheet is never held whole)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WB)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        zf.writestr("xl/sharedStrings.xml",
                    '<?xml version="1.0" encoding="UTF-8"?>' + shared.replace(
                        "<sst", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        '2006/main"', 1))
        if isinstance(sheet, str):
            zf.writestr("xl/worksheets/sheet1.xml", sheet)
        else:
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                for chunk in sheet:
                    fh.write(chunk)
    return path


def lie_about_sizes(path: Path, member: str, declared: int) -> None:
    """Rewrite the zip so that ``member`` declares ``declared`` uncompressed bytes (in both
    its local header and the central directory) whatever it really holds."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        payloads = {i.filename: zf.read(i.filename) for i in infos}
    out = path.with_suffix(".tmp")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            zf.writestr(info.filename, payloads[info.filename])
    data = bytearray(out.read_bytes())
    name = member.encode()
    # local file header: signature, ..., uncompressed size at offset 22, name at 30
    pos = 0
    while (pos := data.find(b"PK\x03\x04", pos)) >= 0:
        nlen = int.from_bytes(data[pos + 26:pos + 28], "little")
        if data[pos + 30:pos + 30 + nlen] == name:
            data[pos + 22:pos + 26] = declared.to_bytes(4, "little")
        pos += 4
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:  # central directory: size at 24, name 46
        nlen = int.from_bytes(data[pos + 28:pos + 30], "little")
        if data[pos + 46:pos + 46 + nlen] == name:
            data[pos + 24:pos + 28] = declared.to_bytes(4, "little")
        pos += 4
    path.write_bytes(bytes(data))
    out.unlink()


def repeated(chunk: bytes, times: int, batch: int = 1000) -> Iterable[bytes]:
    """``chunk`` ``times`` times, in batches (the caller streams them into a zip)."""
    full, rest = divmod(times, batch)
    block = chunk * batch
    for _ in range(full):
        yield block
    if rest:
        yield chunk * rest


_ODS_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?>'
                 '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                 'manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                 'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                 '<manifest:file-entry manifest:full-path="content.xml" '
                 'manifest:media-type="text/xml"/></manifest:manifest>')
_ODS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
             'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
             'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
             'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
             '<office:body><office:spreadsheet><table:table table:name="Enquete">')
_ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"


def ods_cell(text: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (f'<table:table-cell office:value-type="string"{rep}>'
            f"<text:p>{text}</text:p></table:table-cell>")


def ods_header_rows() -> str:
    return (f"<table:table-row>{ods_cell('Nom')}{ods_cell('Commune')}</table:table-row>"
            f"<table:table-row>{ods_cell('Asso des Alpes')}{ods_cell('Gap')}</table:table-row>")


def write_ods(path: Path, rows: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        zf.writestr("content.xml", _ODS_HEAD + rows + _ODS_TAIL)
    return path


