"""The SEVIS data feed (issue 6, point 5): a school's system sends batches the portal applies.

A batch arrives as JSON lines or as SEVIS batch XML (SEVISBatchCreateUpdateStudent). A file that
breaks the schema is refused whole with the schema's reason; a valid file is judged record by record:
each record is applied in its own savepoint, so valid records apply even when others fail. The batch
id makes a re-sent batch a no-op. During a maintenance window records are queued and applied after
it, in arrival order, exactly once (rule 11). Every applied record writes "data received" and
"data transmitted to portal" events, so a DSO can see in the history whether data reached the portal.

tokens           the API tokens a school's system sends batches with
record_shapes    the shape of a JSON line: bounded nesting, per-action record schemas
parsing          a file read into a batch of records (JSON lines or SEVIS batch XML); refusals of a whole file
record_handlers  one function per action, applying one record
receiving        storing a batch, applying it now or after maintenance, its per-record results
"""
