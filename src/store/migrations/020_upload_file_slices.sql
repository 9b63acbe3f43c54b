-- The upload worker reads a stored file in slices (substring of file_bytes, src/store/uploads-repo.ts
-- uploadFileSlices) rather than whole. Stored uncompressed out of line, a slice reads only the TOAST
-- chunks it covers; compressed, every slice would decompress the file from its start. (XLSX files are
-- zip archives already; CSV files take more room.) Applies to files stored from now on.
ALTER TABLE uploads ALTER COLUMN file_bytes SET STORAGE EXTERNAL;
