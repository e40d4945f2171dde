"""Pages for people: a job's report (result or rejection) as one self-contained HTML document.

Pure: a document (the result or rejection JSON, as the schemas have it) in, HTML text out; nothing
here reads a store or the disk. Every text that came from a manifest is escaped, and each page
carries a Content-Security-Policy that runs only its own script (by hash) and fetches nothing but
the videos and contact sheets it links.
"""
