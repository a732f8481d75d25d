"""Releases: the built graph written once into its own directory and switched in atomically.

directory   what `kg build` writes: a release directory (store, dumps, manifest), staging,
            the atomic switch of build/current, verification, pruning
stamp       `kg release`: a version stamped on the current build (a new release directory)
diff        `kg diff`: what changed between two releases
"""
