"""`kg build`: from the source files to a release.

build       parse, validate (SHACL), reason (HermiT), materialise, write the release
infer       the inferences queries rely on, materialised into kg:graph/inferred
overlay     how curated imports (data/imports/*.ttl) override fields that other files describe
"""
