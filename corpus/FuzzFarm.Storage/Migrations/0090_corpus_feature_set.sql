-- Every coverage feature a corpus program reaches (as the machine numbers them, stored as signed integers), so a
-- resumed hub knows what its corpus covers and keeps only programs that add to it. Rows stored before this column
-- have none: the hub keeps them, without counting their features.
ALTER TABLE corpus_entries ADD COLUMN feature_set integer[];
