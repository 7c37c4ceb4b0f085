"""Work that follows answers already given: feedback into the records, the handoff webhook, the
weekly digest, and answers asked again when their docs change.
Imports `knowledge`, the workers' shared modules and `outages` (retries), never a platform."""
