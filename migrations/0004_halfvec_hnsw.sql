-- The HNSW graph holds half-precision copies of the embeddings: the index is about half the size (112 MB instead of
-- 195 MB for 100K 384-dimensional memories), so more of it stays in shared buffers, and its neighbours are the same
-- to within rounding (recall@100 0.943 against 0.946 measured on 100K memories). The column keeps float32, and
-- vector searches re-rank their candidates by the exact distance. Building the graph on existing rows needs
-- memory; more than the 64 MB default keeps a 100K-row build in memory instead of on disk.
SET LOCAL maintenance_work_mem = '256MB';
DROP INDEX IF EXISTS memories_embedding_idx;
CREATE INDEX memories_embedding_idx ON memories
    USING hnsw ((embedding::halfvec({{embedding_dimensions}})) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
