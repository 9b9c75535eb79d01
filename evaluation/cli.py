"""`peerscope eval ...`: relevance evaluation on the real data (see docs/EVALUATION.md)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from evaluation.common import (build, citation_files, format_difference, format_table, settings_for,
                               small_workshop_files)

DEFAULT_CUTOFF = 2022


def _prefix(prefix: str | None, cutoff: int) -> str:
    return prefix or f"eval-{cutoff}-"


def _header(settings) -> None:
    click.echo(f"indexes '{settings.index_prefix}*', embeddings {settings.embed_backend} "
               f"max_seq_length {settings.embed_max_seq_length}", err=True)


def _dump(path: str | None, name: str, data) -> None:
    if path:
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(data, indent=2, default=sorted) + "\n")


@click.group("eval")
def eval_group() -> None:
    """Relevance evaluation: collaborators, similar work, researcher search."""


@eval_group.command("build")
@click.option("--cutoff", type=int, default=DEFAULT_CUTOFF, show_default=True,
              help="Index works up to this year.")
@click.option("--prefix", help="Index prefix (default eval-<cutoff>-).")
@click.option("--workshops", type=int,
              help="Instead: only the small workshop collections (5-40 papers) of this year.")
@click.option("--citation-venues", is_flag=True,
              help="Instead: the old-style main-venue collections the AAN citation graph covers.")
def build_command(cutoff, prefix, workshops, citation_venues) -> None:
    """Build the evaluation indexes (reuses cached vectors of the same embedding settings)."""
    settings = settings_for(_prefix(prefix, cutoff))
    _header(settings)
    started = time.monotonic()
    if citation_venues:
        report = build(settings, year_to=cutoff,
                       files=citation_files(settings.data_dir, settings.citations_file))
    elif workshops:
        report = build(settings, files=small_workshop_files(settings.data_dir, workshops))
    else:
        report = build(settings, year_to=cutoff)
    click.echo(f"works {report['works']['indexed']}, researchers {report['researchers']['indexed']}, "
               f"topics {report['topics']} in {time.monotonic() - started:.0f} s")


@eval_group.command("collaborators")
@click.option("--cutoff", type=int, default=DEFAULT_CUTOFF, show_default=True)
@click.option("--horizon", type=int, help="New co-authors of this many years after the cutoff (default: all).")
@click.option("--prefix", help="Index prefix of works up to the cutoff (default eval-<cutoff>-).")
@click.option("--n", "n", type=int, default=500, show_default=True, help="Researchers per sample.")
@click.option("--samples", type=int, default=2, show_default=True, help="Disjoint samples (outside the tuning split).")
@click.option("--timed", type=int, default=100, show_default=True, help="Requests timed per sample (0: none).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", help="Folder for the JSON results and per-seed rankings.")
@click.option("--truth", type=click.Choice(["anthology", "arxiv"]), default="anthology", show_default=True,
              help="Whose papers after the cutoff say who wrote together (arxiv: preprint authors whose "
                   "name exactly one Anthology person carries).")
@click.option("--also-new-in", "also_new_in",
              help="Index prefix of a second build: judge only the researchers and pairs new in both.")
def collaborators_command(cutoff, horizon, prefix, n, samples, timed, seed, out, truth, also_new_in) -> None:
    """Recall@10 and MRR of the new co-authors who appeared after the cutoff."""
    from evaluation import collaborators as C

    settings = settings_for(_prefix(prefix, cutoff))
    _header(settings)
    res = C.run(settings, cutoff, n=n, seed=seed, horizon=horizon, samples=samples, timed=timed,
                dump=Path(out) / "collaborators-runs.jsonl" if out else None, truth=truth,
                also_new_in=settings_for(also_new_in) if also_new_in else None)
    span = f"{cutoff + 1}" if horizon == 1 else f"{cutoff + 1}-{cutoff + horizon}"
    years = (span if horizon else f"after {cutoff}") + f" ({truth} papers)"
    if res["model"]:
        click.echo(f"learned ranker: {json.dumps(res['model'])}")
    for i, sample in enumerate(res["samples"], start=1):
        sc = sample["scores"]
        rows = [[v, s["recall@10"], s["mrr@10"], s["hit@10"], f"{s['x_adamic_adar']:.2f}x"]
                for v, s in sc["variants"].items()]
        click.echo(format_table(f"Collaborators, sample {i} of {len(res['samples'])}: new co-authors {years} "
                                f"({sample['seeds']} of {res['eligible']} eligible researchers, seed {seed})",
                                ["variant", "Recall@10", "MRR@10", "Hit@10", "Recall@10 / Adamic-Adar"], rows))
        diffs = [f"{sc['product']} - adamic_adar {format_difference(sc['vs_adamic_adar'])}"]
        if sc["better_single"] != "adamic_adar":
            diffs.append(f"{sc['product']} - {sc['better_single']} {format_difference(sc['vs_better_single'])}")
        if "vs_fused" in sc:
            diffs.append(f"learned - fused {format_difference(sc['vs_fused'])}")
        click.echo("\nRecall@10, paired: " + "; ".join(diffs))
        if sc["arxiv_only_share"]:
            click.echo(f"people known from preprints only: {sc['arxiv_only_share']:.1%} of the {sc['product']} top 10")
        for name, lat in sample["latency_ms"].items():
            click.echo(f"request time, {name}: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms ({lat['n']} requests)")
        if "versus" in sample:
            rows = [[v, *(f"{a:.3f} / {b:.3f}, {format_difference((d, h))}" for a, b, d, h in (m["recall@10"], m["mrr@10"]))]
                    for v, m in sample["versus"].items()]
            click.echo("\n" + format_table(f"The same seeds on {settings.index_prefix} / {also_new_in} (paired)",
                                            ["variant", "Recall@10, difference", "MRR@10, difference"], rows))
        click.echo("")
    _dump(out, "collaborators", res)


@eval_group.command("train-collaborators")
@click.option("--cutoff", type=int, default=2019, show_default=True, help="The training index holds works up to this year.")
@click.option("--horizon", type=int, default=2, show_default=True, help="New co-authors of this many years after it.")
@click.option("--prefix", help="Index prefix of the training index (default eval-<cutoff>-).")
@click.option("--store", "store_prefixes", multiple=True,
              help="Index prefix whose researchers index keeps the model (repeatable; default: the training index).")
@click.option("--kind", type=click.Choice(["trees", "logistic"]), default="trees", show_default=True)
@click.option("--n", "n", type=int, default=3000, show_default=True, help="Training researchers (tuning split).")
@click.option("--seed", type=int, default=0, show_default=True)
def train_collaborators_command(cutoff, horizon, prefix, store_prefixes, kind, n, seed) -> None:
    """Fit the collaborator ranker on the project's own past and keep it with an index build."""
    from evaluation import collaborators as C

    settings = settings_for(_prefix(prefix, cutoff))
    _header(settings)
    started = time.monotonic()
    model, report = C.train(settings, cutoff, horizon, n=n, seed=seed, kind=kind)
    click.echo(f"{report['seeds']} training researchers of {report['eligible']} eligible, "
               f"{report['candidates']} candidates, {report['positives']} new co-authors among them "
               f"({time.monotonic() - started:.0f} s)")
    rows = [[k, v, s["recall@10"], s["mrr@10"], f"{s['x_adamic_adar']:.2f}x"]
            for k, variants in report["validation"].items() for v, s in variants.items()
            if v in ("learned", "fused", "adamic_adar")]
    click.echo(format_table(f"Validation: the last {report['validation_seeds']} training researchers, "
                            "each kind fitted without them", ["kind", "variant", "Recall@10", "MRR@10",
                                                              "Recall@10 / Adamic-Adar"], rows))
    for target in store_prefixes or (settings.index_prefix,):
        click.echo(f"stored with {C.store(settings_for(target), model)}")


@eval_group.command("similar")
@click.option("--prefix", default=f"eval-{DEFAULT_CUTOFF}-", show_default=True)
@click.option("--n", "n", type=int, default=300, show_default=True, help="Seed papers per ground truth and sample.")
@click.option("--samples", type=int, default=2, show_default=True, help="Disjoint held-out samples.")
@click.option("--split", type=click.Choice(["held-out", "tuning"]), default="held-out", show_default=True,
              help="Score held-out seeds (figures) or the tuning split (choosing weights).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--truth", "truths", multiple=True, type=click.Choice(["volume", "citations"]),
              help="Ground truths to use (default both).")
@click.option("--out", help="Folder for the JSON results and per-seed lists.")
def similar_command(prefix, n, samples, split, seed, truths, out) -> None:
    """nDCG@10 of keyword (more_like_this), vector (k-NN) and hybrid similar work."""
    from evaluation import similar as S

    settings = settings_for(prefix)
    _header(settings)
    res = S.run(settings, n=n, seed=seed, truths_=tuple(truths) or ("volume", "citations"), samples=samples,
                split=split, dump=Path(out) / "similar-runs.jsonl" if out else None)
    rows = []
    for truth, r in res.items():
        for i, sample in enumerate(r["samples"], start=1):
            sc = sample["scores"]
            rows += [[truth, i, m, sc[m]["ndcg@10"], sc[m]["p@10"], f"{sample['seeds']}/{r['pool']}"]
                     for m in S.METHODS]
            rows.append([truth, i, f"hybrid / {sc['better_single']}", f"{sc['ratio']:.2f}x",
                         format_difference(sc["vs_better"]), ""])
    click.echo(format_table(f"Similar work ({split} seeds, seed {seed}, own authors excluded)",
                            ["ground truth", "sample", "method", "nDCG@10", "P@10", "seeds/pool"], rows))
    _dump(out, "similar", res)


@eval_group.command("names")
@click.option("--prefix", default=f"eval-{DEFAULT_CUTOFF}-", show_default=True)
@click.option("--n", "n", type=int, default=300, show_default=True, help="Researchers per sample.")
@click.option("--samples", type=int, default=2, show_default=True, help="Disjoint samples scored in this run.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", help="Folder for the JSON results.")
@click.option("--show-misses", is_flag=True, help="Print some product misses at rank 1.")
def names_command(prefix, n, samples, seed, out, show_misses) -> None:
    """MRR@10 and success@1 of known-item name queries, per query kind, on disjoint samples."""
    from evaluation import names as N

    settings = settings_for(prefix)
    _header(settings)
    res = N.run(settings, n=n, seed=seed, samples=samples)
    cols = ["query kind", "n", *[f"{s} {m}" for s in N.SYSTEMS for m in ("MRR@10", "S@1")],
            "product - better baseline, MRR@10"]
    for i, sample in enumerate(res["samples"], start=1):
        rows = [[kind, by["product"]["n"], *[by[s][m] for s in N.SYSTEMS for m in ("mrr@10", "s@1")],
                 f"{format_difference(by['vs_best'])} ({by['best_baseline']})"]
                for kind, by in sample["scores"].items()]
        click.echo(format_table(f"Researcher search, sample {i} of {len(res['samples'])}: known-item name queries "
                                f"({sample['queries']} queries from {sample['researchers']} researchers, "
                                f"{res['people']} indexed, seed {seed})", cols, rows))
        click.echo(f"\ninitials: no ranking by the name alone can reach more than MRR@10 "
                   f"{sample['initials_ceiling']:.3f} on this sample (every J* Lee is a \"J. Lee\")")
        lat = sample["latency_ms"]
        if lat:
            click.echo(f"product engine time, {lat['n']} queries one at a time: "
                       f"p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms\n")
        if show_misses:
            click.echo("\n".join(sample["misses"]) + "\n")
    _dump(out, "names", res)


@eval_group.command("works")
@click.option("--prefix", default=f"eval-{DEFAULT_CUTOFF}-", show_default=True)
@click.option("--n", "n", type=int, default=300, show_default=True, help="Queries per task and sample.")
@click.option("--samples", type=int, default=2, show_default=True, help="Disjoint held-out samples.")
@click.option("--split", type=click.Choice(["held-out", "tuning"]), default="held-out", show_default=True,
              help="Score held-out seeds (figures) or the tuning split (choosing a setting with --sweep).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--sweep", is_flag=True, help="Also score other keyword rules, weights and RRF k from the same lists.")
@click.option("--out", help="Folder for the JSON results.")
def works_command(prefix, n, samples, split, seed, sweep, out) -> None:
    """Keyword, vector and hybrid works search: titles for their volume, title words for their paper."""
    from evaluation import works as W

    settings = settings_for(prefix)
    _header(settings)
    res = W.run(settings, n=n, seed=seed, sweep=sweep, samples=samples, split=split)
    for i, sample in enumerate(res["samples"], start=1):
        topical, known = sample["scores"]["topical"], sample["scores"]["known_item"]
        rows = [[m, topical[m]["ndcg@10"], known[m]["mrr@10"], known[m]["s@1"]] for m in topical]
        click.echo(format_table(f"Works search, {split} sample {i} of {len(res['samples'])} "
                                f"({sample['seeds']['topical']} titles for their workshop volume, "
                                f"{sample['seeds']['known_item']} three-word known-item queries, seed {seed})",
                                ["mode", "topical nDCG@10", "known-item MRR@10", "known-item S@1"], rows))
        click.echo("\nhybrid - better single mode, paired: " + "; ".join(
            f"{task} {p['metric']} {format_difference(p['vs_better'])} ({p['better_single']}, {p['ratio']:.2f}x)"
            for task, p in sample["paired"].items()) + "\n")
    _dump(out, "works", res)


@eval_group.command("sources")
@click.option("--seed", "seeds", type=int, multiple=True, help="Samples to draw (default 0 and 1).")
@click.option("--share", type=float, default=0.5, show_default=True, help="Share of the listing days per sample.")
@click.option("--arxiv-dir", type=click.Path(file_okay=False), help="arXiv listings (default: beside the Anthology).")
@click.option("--out", help="Folder for the JSON results.")
@click.option("--show-misses", is_flag=True, help="Print wrong merges, missed edited titles and wrong namesake links.")
def sources_command(seeds, share, arxiv_dir, out, show_misses) -> None:
    """Work merging and author linking across the Anthology and arXiv, without the engine."""
    from evaluation import sources as S

    settings = settings_for("eval-sources-")
    arxiv = Path(arxiv_dir) if arxiv_dir else S.default_arxiv_dir(settings)
    res = S.run(settings.data_dir, arxiv, seeds=seeds or (0, 1), share=share,
                log=lambda m: click.echo(m, err=True))
    for seed, r in ((k, v) for k, v in res.items() if k != "seconds"):
        t = r["truth"]
        click.echo(format_table(
            f"Work merging (seed {seed}: {r['days']} listing days, {r['preprints']} preprints; truth "
            f"{t['same_title']} same title, {t['edited']} edited, {t['retitled']} retitled, {t['near_twins']} near-twins)",
            ["matcher", "merges", "precision", "wrong", "unjudged", "recall same title", "recall edited",
             "recall retitled", "near-twins merged"],
            [[m, w["merges"], w["precision"], w["wrong"], w["unjudged"], w["recall same_title"], w["recall edited"],
              w["recall retitled"], w["near-twins merged"]] for m, w in r["works"].items()]))
        click.echo()
        groups = ("pairs", "namesakes", "simulated")
        click.echo(format_table(
            f"Author linking (seed {seed}: {r['people truth']['mentions']} true mentions, "
            f"{r['people truth']['namesake works']} Anthology works with namesakes held out)",
            ["linker", *[f"{g} {m}" for g in groups for m in ("P", "R")], "namesakes kept apart (links)",
             "entangled P (links)", "namesakes, all P", "catch-all P / R", "probable namesakes linked by name"],
            [[name, *[p[g][m] for g in groups for m in ("precision", "recall")], p["namesakes"]["links"],
              f"{p['entangled']['precision']:.3f} ({p['entangled']['links']})", p["namesakes, all"]["precision"],
              f"{p['catch-all']['precision']:.3f} / {p['catch-all']['recall']:.3f}",
              f"{p['probable namesakes']['links by name alone']}/{p['probable namesakes']['mentions']}"]
             for name, p in r["people"].items()]))
        click.echo()
        if show_misses:
            full_w, full_p = r["works"]["full"]["examples"], r["people"]["full"]
            for label, items in (("wrong merges", full_w.get("wrong", [])),
                                 ("missed edited or retitled", full_w.get("missed", [])),
                                 ("wrong namesake links", full_p["namesakes"]["examples"]),
                                 ("entangled namesakes linked to the other id", full_p["entangled"]["examples"])):
                click.echo(f"{label}:\n" + "\n".join(f"  {x}" for x in items))
    click.echo(f"done in {res['seconds']} s", err=True)
    _dump(out, "sources", res)


def eval_commands() -> list:
    return [eval_group]


if __name__ == "__main__":
    sys.exit(eval_group())
