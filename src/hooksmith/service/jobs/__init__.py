"""Background work: asynchronous runs, their callbacks, and the writer of live runs.

runs.py       an async run from acceptance (stored before the 202) to its result; the
              `Dispatcher` protocol every way of running jobs meets
dispatch.py   the in-process dispatcher (embedded SQLite, or `HOOKSMITH_QUEUE=inprocess`)
queue.py      the PostgreSQL job queue (procrastinate) and its dispatcher
worker.py     `hooksmith worker`: works the queue
callbacks.py  signed callback deliveries
writer.py     live runs written in batches, off the execute path
"""
