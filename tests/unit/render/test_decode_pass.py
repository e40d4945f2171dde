"""The decode pass's command and log parsing, without running ffmpeg."""

from __future__ import annotations

import re

from highlights.render.shot_rules import Interval
from highlights.render.shots import DecodeParams, _chunks, decode_chain, parse_decode_log


def test_chain_printers_are_told_apart_by_position() -> None:
    chain = decode_chain(DecodeParams(width=160))
    # Split on the commas ffmpeg splits on: not the one quoted inside the select expression.
    filters = re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", chain.graph)
    assert filters[0].startswith("scale=160:-2")
    assert filters[chain.black_printer] == "metadata=mode=print"
    assert "pic_th=0.995" in filters[chain.black_printer - 1]
    assert filters[chain.dark_printer] == "metadata=mode=print"
    assert "pic_th=0.85" in filters[chain.dark_printer - 1]
    assert filters[chain.score_printer] == "metadata=mode=print:key=lavfi.scene_score"
    # The first frame always passes: a pass whose output gets no frame fails on ffmpeg 7+.
    assert filters[chain.score_printer - 1] == "select='gt(scene,0.05)+eq(n,0)'"


def test_the_first_frame_s_score_is_no_cut() -> None:
    log = (
        "[Parsed_metadata_10 @ 0x57] frame:0    pts:0       pts_time:0\n"
        "[Parsed_metadata_10 @ 0x57] lavfi.scene_score=0.000000\n"
        "[Parsed_metadata_10 @ 0x57] frame:1    pts:3000000 pts_time:3\n"
        "[Parsed_metadata_10 @ 0x57] lavfi.scene_score=0.420000\n"
    )
    chain = decode_chain(DecodeParams(width=160))
    assert chain.score_printer == 10
    assert parse_decode_log(log, chain, 10.0).scores == ((3.0, 0.42),)


LOG = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'film.mp4':
[Parsed_metadata_4 @ 0x55] frame:0    pts:0       pts_time:0
[Parsed_metadata_4 @ 0x55] lavfi.black_start=0
[Parsed_metadata_7 @ 0x56] frame:0    pts:0       pts_time:0
[Parsed_metadata_7 @ 0x56] lavfi.black_start=0
[Parsed_metadata_4 @ 0x55] frame:25   pts:1000000 pts_time:1
[Parsed_metadata_4 @ 0x55] lavfi.black_end=1
[Parsed_metadata_10 @ 0x57] frame:0    pts:1000000 pts_time:1
[Parsed_metadata_10 @ 0x57] lavfi.scene_score=0.899945
[Parsed_metadata_7 @ 0x56] frame:50   pts:2000000 pts_time:2
[Parsed_metadata_7 @ 0x56] lavfi.black_end=2
[Parsed_metadata_10 @ 0x57] frame:1    pts:3000000 pts_time:3.04
[Parsed_metadata_10 @ 0x57] lavfi.scene_score=0.3
[Parsed_metadata_4 @ 0x55] frame:200  pts:8000000 pts_time:8
[Parsed_metadata_4 @ 0x55] lavfi.black_start=8
[Parsed_drawtext_1 @ 0x58] lavfi.scene_score=0.7
"""


def test_log_parsing_pairs_starts_with_ends_and_closes_at_the_end() -> None:
    chain = decode_chain(DecodeParams())
    assert (chain.black_printer, chain.dark_printer, chain.score_printer) == (4, 7, 10)
    raw = parse_decode_log(LOG, chain, duration=9.0)
    assert raw.scores == ((1.0, 0.899945), (3.04, 0.3))
    assert raw.black == (Interval(0.0, 1.0), Interval(8.0, 9.0))
    assert raw.dark == (Interval(0.0, 2.0),)


def test_long_films_split_into_one_range_per_job() -> None:
    assert _chunks(30.0, 2, 60.0) == [(0.0, 30.0)]
    assert _chunks(600.0, 2, 60.0) == [(0.0, 300.0), (300.0, 600.0)]
    assert _chunks(100.0, 8, 30.0) == [(0.0, 33.333), (33.333, 66.667), (66.667, 100.0)]
