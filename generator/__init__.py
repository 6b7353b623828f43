"""nianbao: 政府信息公开工作年度报告 from YAML, validated against the official format.

Importing the package is cheap on purpose: the command line imports python-docx and
jsonschema only when a command needs them.
"""

__version__ = "0.1.0"
