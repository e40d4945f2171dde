"""The local engine's building blocks: it renders highlights offline with ffmpeg.

Analysis primitives live here, one job per module:

- ``ffmpeg``: find and run ffmpeg/ffprobe (and other tools), ``RenderError``, filter escaping.
- ``probe``: what a media file is (video, still image or audio) and its streams.
- ``shots`` / ``shot_rules``: one decode pass for cuts and black/dark frames, then pure rules that
  turn them into shots with black screens and opening/closing credits left out.
- ``sentences``, ``ssml``, ``speech``: narration text into sentences, SSML breaks, offline speech.
- ``subtitles``: sidecar and embedded subtitles into cues, and text similarity for matching.
"""
