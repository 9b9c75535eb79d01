"""The learned ranker: stored trees score exactly as scikit-learn does, contributions explain
a score, and the collaborator features are computed from what the index returns."""
import math

import numpy as np
import pytest

from evaluation.collaborators import export_trees, fit
from search import recommend
from search.queries import collaborators as C
from search.ranker import Ranker

pytestmark = pytest.mark.unit


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = ((np.nan_to_num(X[:, 0]) + X[:, 1] ** 2) > 1).astype(int)
    return X, y


def test_exported_trees_score_like_scikit_learn_missing_values_included():
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _data()
    hgb = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0).fit(X, y)
    ranker = Ranker(kind="trees", features=list("abcd"), reference=[0.0] * 4, params=export_trees(hgb))
    assert np.allclose(ranker.scores(X), hgb.decision_function(X))
    again = Ranker.from_dict(ranker.to_dict())
    assert np.allclose(again.scores(X[:50]), ranker.scores(X[:50]))


def test_contributions_are_the_score_moved_by_each_feature():
    ranker = Ranker(kind="logistic", features=["x", "y"], reference=[0.0, 0.0],
                    params={"mean": [0.0, 0.0], "scale": [1.0, 1.0], "coef": [2.0, -1.0], "intercept": 0.5})
    X = np.array([[1.0, 3.0], [0.0, 0.0]])
    assert np.allclose(ranker.scores(X), [2.0 - 3.0 + 0.5, 0.5])
    assert np.allclose(ranker.contributions(X), [[2.0, -3.0], [0.0, 0.0]])
    assert np.allclose(ranker.contributions(X, [[0, 1]]), [[-1.0], [0.0]])  # both features at once
    with pytest.raises(ValueError):
        ranker.scores([[1.0]])


def _row(features, labels):
    return {"candidates": [f"c{i}" for i in range(len(labels))], "features": features, "labels": labels,
            "new": [f"c{i}" for i, lab in enumerate(labels) if lab], "rankings": {}}


def test_fit_learns_that_more_mutual_collaborators_help():
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(60):
        feats = rng.random((40, len(C.FEATURES)))
        labels = [int(f[0] > 0.9) for f in feats]  # adamic_adar decides
        rows.append(_row(feats.tolist(), labels))
    for kind in ("trees", "logistic"):
        model = fit(rows, kind)
        assert model.features == list(C.FEATURES)
        low, high = np.full(len(C.FEATURES), 0.5), np.full(len(C.FEATURES), 0.5)
        low[0], high[0] = 0.1, 0.99
        assert model.scores([high])[0] > model.scores([low])[0]


SEED = {"id": "s", "last_year": 2021, "topics": ["t1", "t2"], "venues": ["acl", "emnlp"],
        "current_affiliation": "Uni A", "collaborators_count": 2, "works_count": 9,
        "collaborators": [{"id": "z1", "count": 3, "last_year": 2021}, {"id": "z2", "count": 1, "last_year": 2012}]}


def test_link_features_weigh_hubs_and_old_ties_down():
    neighbours = [{"id": "z1", "collaborator_ids": ["s", "c", "d"], "collaborators_count": 3},
                  {"id": "z2", "collaborator_ids": ["s", "c"] + [f"x{i}" for i in range(50)], "collaborators_count": 52}]
    links, two = C.link_features(SEED, neighbours, ["c", "d"], 3.0)
    assert links["c"]["common"] == 2 and links["d"]["common"] == 1
    assert links["c"]["adamic_adar"] == pytest.approx(1 / math.log(3) + 1 / math.log(52))
    assert links["d"]["adamic_adar_recent"] == pytest.approx(1 / math.log(3))  # z1: written with this year
    assert links["c"]["adamic_adar_recent"] < links["c"]["adamic_adar"]  # z2: nine quiet years
    assert two["c"] == 2 and "s" not in two


def test_fresh_paths_need_a_recent_pair_on_both_sides():
    hits = [{"_id": "z1", "_source": {"collaborators": [{"id": "c", "last_year": 2021, "count": 2},
                                                       {"id": "old", "last_year": 2005, "count": 1},
                                                       {"id": "s", "last_year": 2021, "count": 3}]}}]
    fresh = C.fresh_paths(SEED, hits, {"z1": 3}, ["z2"], 3.0)
    assert set(fresh) == {"c", "old"}  # never the seed itself
    assert fresh["c"]["fresh"] > 10 * fresh["old"]["fresh"]
    assert fresh["c"]["newest"] == 2021 and fresh["old"]["newest"] == 2005
    assert C.recent_neighbour_ids(SEED, 4, 10) == ["z1"]


def test_feature_row_reads_shared_topics_venues_and_affiliation():
    fields = {"topics": ["t2", "t3"], "venues": ["acl"], "current_affiliation.raw": ["uni a"],
              "last_year": [2019], "first_year": [2010], "works_count": [4], "collaborators_count": [7],
              "collaborator_ids": ["z1", "q"]}
    row = dict(zip(C.FEATURES, C.feature_row(SEED, fields, 0.8, {"common": 0}, {"z1": 2}, None, 3, None)))
    assert len(row) == len(C.FEATURES)
    assert row["shared_topics"] == 1 and row["topics_jaccard"] == pytest.approx(1 / 3)
    assert row["shared_venues"] == 1 and row["same_affiliation"] == 1.0
    assert row["three_hop"] == pytest.approx(math.log1p(2)) and row["no_common"] == 1.0
    assert row["quiet_years"] == 2 and row["career_years"] == 9 and row["content_rank"] == pytest.approx(1 / 3)
    assert math.isnan(row["freshest_path_years"]) and row["cosine"] == 0.8


def test_rank_learned_explains_by_reason_kind():
    coef = [0.0] * len(C.FEATURES)
    coef[C.FEATURES.index("adamic_adar")], coef[C.FEATURES.index("cosine")] = 2.0, 1.0
    model = Ranker(kind="logistic", features=list(C.FEATURES), reference=[0.0] * len(coef),
                   params={"mean": [0.0] * len(coef), "scale": [1.0] * len(coef), "coef": coef, "intercept": 0.0})
    rows = [[0.0] * len(coef), [0.0] * len(coef)]
    rows[1][C.FEATURES.index("adamic_adar")] = 1.5
    ranked = recommend.rank_learned(model, ["a", "b"], rows, 1)
    assert [c for c, _, _ in ranked] == ["b"]
    assert ranked[0][2]["mutual_collaborators"] == pytest.approx(3.0) and ranked[0][2]["shared_topics"] == 0


def test_learned_reasons_follow_the_strongest_features():
    cand = {"id": "c", "venues": ["acl"], "current_affiliation": "Uni A", "topic_labels": [], "topics": ["t1"]}
    strength = {"shared_venues": 0.9, "mutual_collaborators": 0.5, "same_affiliation": -0.4, "active": 0.0}
    reasons = recommend.learned_reasons(SEED, cand, strength, {"via": ["Zed One"]}, None)
    assert [r["kind"] for r in reasons] == ["shared_venues", "mutual_collaborators"]
    assert reasons[0]["items"] == ["acl"] and reasons[1]["items"] == ["Zed One"]
    nothing = recommend.learned_reasons(SEED, cand, {"shared_venues": -1.0}, None, None)
    assert [r["kind"] for r in nothing] == ["similar_research"]


def test_a_missing_value_counts_as_the_reference_in_a_logistic_ranker():
    ranker = Ranker(kind="logistic", features=["x", "y"], reference=[1.0, 0.0],
                    params={"mean": [0.0, 0.0], "scale": [1.0, 1.0], "coef": [2.0, 1.0], "intercept": 0.0})
    assert np.allclose(ranker.scores([[float("nan"), 1.0]]), [3.0])
    assert np.allclose(ranker.contributions([[float("nan"), 1.0]]), [[0.0, 1.0]])


def test_fitting_weighs_new_coauthors_as_recall_counts_them():
    from evaluation.collaborators import recall_weights

    many = {**_row([[0.0]] * 4, [1, 1, 0, 0]), "new": ["c0", "c1", "x", "y"]}  # 2 of 4 among the candidates
    one = _row([[0.0]] * 2, [1, 0])
    w = recall_weights([many, one])
    assert np.allclose(w, [0.25, 0.25, 0.25, 0.25, 1.0, 0.5])
    assert w[:2].sum() == 0.5  # finding both adds half of that seed's recall, as the weights say
