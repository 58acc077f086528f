"""NeMo Curator stages of the recycling pipeline.

Each stage is a small dataclass `ProcessingStage` over a `DocumentBatch` whose
rows are input documents (segments between Segment and Reassemble). Rows carry
a `status` (`ok`, `filtered`, `rejected`) and a `reason`; a stage works on the
`ok` rows and passes the others through untouched, so every input document
reaches the commit stage and lands in exactly one output folder.

`base.RowStage` owns that frame (copy, status, live rows, write-back): a stage
writes only its transform. `registry.STAGES` maps each stage name to its factory.
"""
