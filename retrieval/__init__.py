"""Embeddings, chunking, vector store and catalog, hybrid search, cited answers, claim checks."""
