"""The local engine: what ICE does, done with ffmpeg on one machine.

The job: `engine.render_job` (a `contract.Renderer` for `producers.local.LocalProducer`), which
reads and writes the bucket through a `ports.MediaFolder`, keeps its own things under the state
prefix (`keys`), runs the settings' `tools` in a `process.tool_scope` and reports `progress`.

Analysis: `probe` (what a file is), `shots` + `shot_rules` (cuts, black gaps, credits; cached by
`cache`), `speech` + `voices` + `sentences` + `ssml` + `wav` (narration), `subtitles` and `ocr`
(dialogue), `faces`. Planning (`planning`): `media` (references → store keys), `matching`
(which range covers which sentence, among `candidates`; `assignment` solves it), one `timeline`
per output, `contact_sheet`.
Composition: `graph` (the ffmpeg passes), `looks` (ICE transitions, filters and effects →
ffmpeg), `text` (wrapping, positions), `fonts`, `gather` (the media a timeline names), `runner`
(passes side by side), `compose` (runs it all). Tools: `process` (bounded, owned runs), `ffmpeg`,
`errors` (`ToolError`, `RenderError`, `RenderCancelled`).
"""
