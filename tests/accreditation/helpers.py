"""Small helpers for the workflow tests."""

from django.core.files.uploadedfile import SimpleUploadedFile


def upload(client, application_id, kind, content, name="file.pdf", content_type="application/pdf"):
    return client.post(
        f"/api/v1/applications/{application_id}/documents/",
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=content_type)},
        format="multipart",
    )


def fire(client, application_id, name, **data):
    return client.post(
        f"/api/v1/applications/{application_id}/transitions/{name}/", data, format="json"
    )


def history(client, application_id):
    response = client.get(f"/api/v1/applications/{application_id}/history/")
    assert response.status_code == 200, response.content
    return response.json()
