"""The local engine: what ICE does, done with ffmpeg on one machine.

Analysis: `probe` (what a file is), `shots` + `shot_rules` (cuts, black gaps, credits; cached by
`cache`), `speech` + `sentences` + `ssml` + `wav` (narration), `subtitles` (dialogue). Planning:
`media` (references → store keys), `matching` (which range covers which sentence), `planner`
(one `timeline` per output), `contact_sheet`. Composition: `graph` (the ffmpeg filter graph),
`looks` (ICE transitions, filters and effects → ffmpeg), `text` (wrapping, positions), `fonts`,
`compose` (runs it). `engine` ties them into a job; `synth` generates test and demo media.
"""
