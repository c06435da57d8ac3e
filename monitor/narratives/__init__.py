"""Known narratives: claims fact-checkers have already rated, and matching live speech against them.

model      the narrative-set file format (pydantic; exported as rules/narratives/schema.json)
loader     safe YAML with line numbers → validated sets with version and sha256; verified-claims JSONL
importers  schema.org ClaimReview, fact-check search API JSON, CheckThat!-style verified claims → a set
index      dense (the project's encoder, cached vectors) + BM25 retriever with score fusion
matcher    the sets a rule engine uses, their indexes, one matcher call per batch
evaluate   claim-retrieval quality (MAP@5, MRR, Recall@k) on CheckThat!-format queries and qrels
"""
