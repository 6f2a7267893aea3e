"""SEVIS batch files out and transaction logs in (rule 9), against the schemas SEVIS publishes (portal/schemas/sevis).

schemas          the SEVIS XSDs, each loaded once
net_effect       a range's employer events folded to their net effect; what a batch cannot carry (by hand)
batch_xml        the change list's UpdateStudent records, student by student
batch_files      BatchIDs and batch files of at most 250 students, one file or a zip
transaction_log  SevisTransLog.xsd documents: read when SEVIS returns one, written as the data feed's answer
results          what each batch file carried, SEVIS's answer per record, and rejections still open
"""
