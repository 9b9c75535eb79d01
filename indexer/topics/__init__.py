"""Topics derived from the corpus itself.

Work embeddings are clustered by cosine (scikit-learn's k-means on unit
vectors, deterministic for a given seed) and every cluster is named after its
most distinctive phrases, found with a class-based TF-IDF over the titles and
abstracts of its works (uni-, bi- and trigrams, stopwords removed, phrases
preferred over single words). A work then carries the 1-3 topics whose
centroids are closest to its embedding.

    model = fit_topics(texts, vectors)          # texts[i] describes vectors[i]
    model.topics[0].label                       # "Machine Translation"
    model.assign(vectors)                       # [["machine-translation", ...], ...]
    model.save(path); TopicModel.load(path)

The parts: `phrases` (tokens, stopwords, n-grams), `clustering` (k-means
in cosine space), `labels` (class-based TF-IDF, picking and displaying labels),
`model` (Topic, TopicModel: assignment and persistence) and `fit` (fit_topics).
"""
from indexer.topics.clustering import default_k, spherical_kmeans
from indexer.topics.fit import fit_topics
from indexer.topics.model import FORMAT_VERSION, Topic, TopicModel

__all__ = ["Topic", "TopicModel", "fit_topics", "default_k", "spherical_kmeans", "FORMAT_VERSION"]
