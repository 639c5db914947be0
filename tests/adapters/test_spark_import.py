"""The Spark adapter without PySpark: a clear ImportError naming the extra (runs in every environment)."""

from __future__ import annotations

import subprocess
import sys


def test_import_without_pyspark_names_the_spark_extra() -> None:
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "try:\n"
        "    import ecomkit.adapters.spark\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    raise SystemExit('imported without pyspark')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ecomkit[spark]" in out.stdout
    assert "PySpark" in out.stdout
