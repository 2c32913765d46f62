"""Taxonomy files: topics (`taxonomy: topic`) and organisations (`taxonomy: organization`)."""

from __future__ import annotations

from ..model import OrganizationRecord, Problem, TopicRecord
from .fields import FieldReader, describe


def records(data: dict, source: str, problems: list[Problem], line_of,
            max_items: int) -> list[TopicRecord | OrganizationRecord]:
    """The topics or organisation a taxonomy mapping describes."""
    fields = FieldReader(data, source, problems, line_of, max_items=max_items)
    kind = fields.text("taxonomy")
    if kind == "topic":
        if "topics" in data:
            return [t for i, item in enumerate(fields.items("topics"))
                    if (t := _topic_item(fields, item, i)) is not None]
        topic = _topic(fields)
        return [topic] if topic else []
    if kind in ("organization", "organisation"):
        org = _organization(fields)
        return [org] if org else []
    fields.problem("taxonomy", f"unknown taxonomy {kind!r}: use 'topic' or 'organization'",
                   "bad-taxonomy", "skipped the file")
    return []


def _topic_item(fields: FieldReader, item, i: int) -> TopicRecord | None:
    if not isinstance(item, dict):
        fields.problem(f"topics[{i}]", f"expected a topic mapping, found {describe(item)}",
                       "wrong-type", "dropped the item")
        return None
    return _topic(fields.child(item, f"topics[{i}]."))


def _topic(fields: FieldReader) -> TopicRecord | None:
    name = fields.text("name")
    topic_id = fields.text("_id")
    if not name and not topic_id:
        fields.problem("name", "a topic needs a name or an _id", "missing-field",
                       "skipped the topic")
        return None
    hashtags = tuple(tag for text in fields.texts("hashtags") for tag in text.split())
    return TopicRecord(
        source=fields.source, id=topic_id, name=name or topic_id or "",
        shortname=fields.text("shortname"), parent=fields.text("parent"),
        description=fields.text("description"), keywords=fields.texts("keywords"),
        hashtags=tuple(dict.fromkeys(hashtags)),
    )


def _organization(fields: FieldReader) -> OrganizationRecord | None:
    domain = fields.text("domain")
    if not domain:
        fields.problem("domain", "an organization needs a domain", "missing-field",
                       "skipped the file")
        return None
    return OrganizationRecord(
        source=fields.source, id=fields.text("_id"), name=fields.text("name"), domain=domain,
        description=fields.text("description"), other_names=fields.texts("otherNames"),
        images=fields.images("images"),
    )
