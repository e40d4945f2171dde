"""Movie highlights on Alibaba Cloud ICE: the manifest contract, the job pipeline and a local engine."""

__version__ = "0.1.0"
