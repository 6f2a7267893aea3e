"""The SEVIS batch schemas 6.31, copied from the published XSDs (see portal/schemas/sevis/README.md), each loaded once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent.parent / "schemas" / "sevis"


@lru_cache(maxsize=1)
def batch_schema():
    """Create-UpdateStudent.xsd: the SEVISBatchCreateUpdateStudent files the feed receives and change lists write."""
    # inside: xmlschema takes most of a second to import, and only XML batches and logs need it
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_DIR / "Create-UpdateStudent.xsd"))


@lru_cache(maxsize=1)
def translog_schema():
    """SevisTransLog.xsd: the TransactionLog SEVIS returns for a batch (and the feed answers with)."""
    # inside: xmlschema takes most of a second to import, and only XML batches and logs need it
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_DIR / "SevisTransLog.xsd"))
