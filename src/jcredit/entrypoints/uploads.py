"""Evidence uploads, shared by the API and the web: authorise first, read the body after.

The caller's right to attach evidence to the project is checked before the multipart body
is parsed, so an anonymous or unauthorised request never has its file read, let alone
stored. The file part is then copied by the evidence store into a temporary file (size and
type checked on the way) that the route keeps only after the command recording it
committed.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile
from starlette.requests import Request

from jcredit.adapters.evidence_store import MAX_EVIDENCE_BYTES
from jcredit.adapters.evidence_store import IncomingFile
from jcredit.bootstrap import Registry
from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c
from jcredit.service_layer import project_queries
from jcredit.service_layer.actors import Actor

MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and the part headers


async def authorise_evidence(request: Request, registry: Registry, actor: Actor,
                             number: str) -> None:
    """Refuse before reading the body: a caller who may not attach evidence to this
    project, or a body announced larger than the largest file accepted."""

    def check() -> None:
        with registry.uow(write=False) as uow:
            project_queries.check_may_attach_evidence(uow, actor, number)

    await run_in_threadpool(check)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_EVIDENCE_BYTES + MULTIPART_OVERHEAD:
        raise ValidationError(f"the file is larger than {MAX_EVIDENCE_BYTES // 2**20} MB",
                              field="file")


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=1, max_fields=10)


async def receive_file(registry: Registry, form: FormData) -> IncomingFile:
    """The ``file`` part, copied into the evidence store's temporary area and checked."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        if isinstance(upload, UploadFile):
            await upload.close()
        raise ValidationError("no file chosen: attach the file in a multipart field named "
                              "'file'", field="file")
    try:
        return await run_in_threadpool(registry.evidence.receive, upload.file,
                                       upload.filename or "")
    finally:
        await upload.close()


def attach_command(number: str, incoming: IncomingFile) -> c.AttachEvidence:
    """The command recording the file, with the media type its content was found to be
    (never the one the client claimed: it is served back with it)."""
    return c.AttachEvidence(project=number, filename=incoming.filename,
                            media_type=incoming.media_type, sha256=incoming.sha256,
                            size=incoming.size)
