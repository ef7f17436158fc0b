"""Fetching URLs safely (the fetch policy, SSRF checks, bounded and decoded reads) for
reporting documents and post images."""
