"""The one place where the versions of the local search node are recorded.

Core and plugin versions must match exactly (k-NN 3.5.0.0 needs core 3.5.0).
neural-search is not served as a zip for this line from Maven Central, so
hybrid fusion happens client-side (reciprocal rank fusion over msearch).
"""
OPENSEARCH_VERSION = "3.5.0"
KNN_VERSION = "3.5.0.0"
NEURAL_SEARCH_VERSION = None  # set to "3.5.0.0" once the zip is served

# Maven coordinates (group:artifact:version:packaging)
OPENSEARCH_ARTIFACT = f"org.opensearch.distribution.integ-test-zip:opensearch:{OPENSEARCH_VERSION}:zip"
KNN_ARTIFACT = f"org.opensearch.plugin:opensearch-knn:{KNN_VERSION}:zip"
NEURAL_SEARCH_ARTIFACT = (
    f"org.opensearch.plugin:neural-search:{NEURAL_SEARCH_VERSION}:zip" if NEURAL_SEARCH_VERSION else None
)

# Modules the mappings and features rely on; the 3.5.0 integ-test zip ships them.
REQUIRED_MODULES = ("analysis-common", "lang-painless", "mapper-extras", "reindex", "transport-netty4")
JAVA_MIN_MAJOR = 21
OPENSEARCH_IMAGE = f"opensearchproject/opensearch:{OPENSEARCH_VERSION}"
