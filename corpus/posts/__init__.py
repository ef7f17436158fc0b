"""Post datasets in (CSV, JSON, JSON Lines, Parquet, zips with media), canonical rows out,
and the images those posts carry (media folders and zips, fetched URLs, perceptual hashes)."""
