"""Property: whatever an OpenAPI document holds, import answers data or `InvalidDefinition`.

Documents keep the shape of OpenAPI (paths, operations, components) with any JSON in every
place, keys drawn from OpenAPI's own words so that refs, schemas and parameters meet odd values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooksmith.engine import InvalidDefinition, import_openapi, list_operations, parse_webhook

WORDS = [
    "type",
    "properties",
    "items",
    "$ref",
    "allOf",
    "oneOf",
    "anyOf",
    "required",
    "enum",
    "const",
    "content",
    "application/json",
    "application/x-www-form-urlencoded",
    "schema",
    "in",
    "name",
    "200",
    "2XX",
    "default",
    "example",
    "scheme",
    "url",
    "variables",
    "parameters",
    "requestBody",
    "responses",
    "security",
    "shop",
    "object",
    "array",
    "string",
    "integer",
    "bearer",
    "basic",
    "apiKey",
    "header",
    "query",
    "path",
    "{x}",
]
REFS = st.sampled_from(["#/components/schemas/A", "#/components/schemas/B", "#/", "#/paths",
                        "#/components/schemas/A/properties/a", "http://x/y", "#/a~1b"])  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.sampled_from(WORDS), st.text(max_size=8), REFS,
)  # fmt: skip
ANY = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(WORDS), inner, max_size=5),
    ),
    max_leaves=30,
)
OPERATION = st.fixed_dictionaries(
    {},
    optional={key: ANY for key in ("parameters", "requestBody", "responses", "security")},
)
DOCUMENT = st.fixed_dictionaries(
    {
        "openapi": st.just("3.0.3"),
        "servers": st.one_of(ANY, st.just([{"url": "https://{x}.example.com/v1"}])),
        "paths": st.fixed_dictionaries(
            {"/a/{x}": st.fixed_dictionaries({}, optional={"get": OPERATION, "post": OPERATION})}
        ),
        "components": st.fixed_dictionaries(
            {"schemas": st.fixed_dictionaries({"A": ANY, "B": ANY}), "securitySchemes": ANY}
        ),
        "security": ANY,
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=DOCUMENT, method=st.sampled_from(["GET", "POST"]))
def test_any_document_answers_data_or_names_the_field(document: Any, method: str) -> None:
    try:
        list_operations(document)
        imported = import_openapi(document, f"{method} /a/{{x}}", server=None)
    except InvalidDefinition as error:
        refused: InvalidDefinition | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.errors, refused  # each names its field (the document's or the definition's)
        return
    definition = imported["definition"]
    stand_in = {"type": "none"}
    parse_webhook(
        definition | {"auth": stand_in, "custom_variables": imported["suggested_mappers"]}
    )
