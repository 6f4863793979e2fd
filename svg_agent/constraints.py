"""Validate SVG exactly as the competition's scorer does, but report every violation.

    svg-agent validate [--json] [--gateway] FILE...

The verdict matches the scorer's `SVGConstraints.validate_svg`: the UTF-8 size limit, a parse
through defusedxml with DTDs, entities and external references forbidden, an element/attribute
allowlist with namespace prefixes stripped, no `data:` (any case) or `;base64` in attribute
values, and `href` only to `#ids`. Where the scorer stops at the first problem, the report here
lists them all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_etree

MAX_SVG_BYTES = 10_000

COMMON_ATTRIBUTES = frozenset(
    {
        "id",
        "clip-path",
        "clip-rule",
        "color",
        "color-interpolation",
        "color-interpolation-filters",
        "color-rendering",
        "display",
        "fill",
        "fill-opacity",
        "fill-rule",
        "filter",
        "flood-color",
        "flood-opacity",
        "lighting-color",
        "marker-end",
        "marker-mid",
        "marker-start",
        "mask",
        "opacity",
        "paint-order",
        "stop-color",
        "stop-opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "transform",
    }
)

# The scorer's list. The scorer keeps `common` as a key of the same dict and tests tags with
# `tag in dict`, so an element literally named <common> passes; that quirk is kept on purpose.
SCORER_ELEMENTS: dict[str, frozenset[str]] = {
    "common": COMMON_ATTRIBUTES,
    "svg": frozenset({"width", "height", "viewBox", "preserveAspectRatio"}),
    "g": frozenset({"viewBox"}),
    "defs": frozenset(),
    "symbol": frozenset({"viewBox", "x", "y", "width", "height"}),
    "use": frozenset({"x", "y", "width", "height", "href"}),
    "marker": frozenset(
        {"viewBox", "preserveAspectRatio", "refX", "refY", "markerUnits", "markerWidth", "markerHeight", "orient"}
    ),
    "pattern": frozenset(
        {
            "viewBox",
            "preserveAspectRatio",
            "x",
            "y",
            "width",
            "height",
            "patternUnits",
            "patternContentUnits",
            "patternTransform",
            "href",
        }
    ),
    "linearGradient": frozenset({"x1", "x2", "y1", "y2", "gradientUnits", "gradientTransform", "spreadMethod", "href"}),
    "radialGradient": frozenset(
        {"cx", "cy", "r", "fx", "fy", "fr", "gradientUnits", "gradientTransform", "spreadMethod", "href"}
    ),
    "stop": frozenset({"offset"}),
    "filter": frozenset({"x", "y", "width", "height", "filterUnits", "primitiveUnits"}),
    "feBlend": frozenset({"result", "in", "in2", "mode"}),
    "feFlood": frozenset({"result"}),
    "feOffset": frozenset({"result", "in", "dx", "dy"}),
    "path": frozenset({"d"}),
    "rect": frozenset({"x", "y", "width", "height", "rx", "ry"}),
    "circle": frozenset({"cx", "cy", "r"}),
    "ellipse": frozenset({"cx", "cy", "rx", "ry"}),
    "line": frozenset({"x1", "y1", "x2", "y2"}),
    "polyline": frozenset({"points"}),
    "polygon": frozenset({"points"}),
}

# The gateway's copy of the constraints also allowed a few more filter primitives.
GATEWAY_ELEMENTS: dict[str, frozenset[str]] = {
    **SCORER_ELEMENTS,
    "feColorMatrix": frozenset({"result", "in", "type", "values"}),
    "feComposite": frozenset({"result", "style", "in", "in2", "operator", "k1", "k2", "k3", "k4"}),
    "feGaussianBlur": frozenset({"result", "in", "stdDeviation", "edgeMode"}),
    "feMerge": frozenset({"result", "x", "y", "width", "height"}),
    "feMergeNode": frozenset({"result", "in"}),
    "feTurbulence": frozenset({"result", "baseFrequency", "numOctaves", "seed", "stitchTiles", "type"}),
}


def allowlist(gateway: bool = False) -> dict[str, frozenset[str]]:
    """The element -> own-attributes table (plus the `common` key) in force."""
    return GATEWAY_ELEMENTS if gateway else SCORER_ELEMENTS


@dataclass(frozen=True)
class Violation:
    """One reason an SVG fails the constraints."""

    kind: str  # size | encoding | parse | element | attribute | data-uri | base64 | href
    message: str
    element: str | None = None
    attribute: str | None = None


@dataclass(frozen=True)
class ValidationResult:
    """The verdict for one SVG and every violation found."""

    valid: bool
    bytes: int
    errors: tuple[Violation, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "bytes": self.bytes,
            "errors": [asdict(v) for v in self.errors],
        }

    @property
    def summary(self) -> str:
        if self.valid:
            return f"valid ({self.bytes} bytes)"
        return "; ".join(v.message for v in self.errors)


def local_name(name: str) -> str:
    """Strip an ElementTree `{namespace}` prefix, as the scorer does."""
    return name.split("}")[-1]


def validate(
    svg: str | bytes,
    *,
    max_bytes: int = MAX_SVG_BYTES,
    gateway: bool = False,
) -> ValidationResult:
    """Check an SVG against the competition's constraints.

    Args:
        svg: the SVG text, or raw bytes (which must be UTF-8, as the scorer encodes str to UTF-8).
        max_bytes: the size limit in UTF-8 bytes.
        gateway: use the gateway's larger element allowlist instead of the scorer's.

    Returns:
        A ValidationResult whose `valid` equals the scorer's verdict and whose `errors` lists
        every violation found.
    """
    errors: list[Violation] = []
    if isinstance(svg, str):
        try:
            data = svg.encode("utf-8")
        except UnicodeEncodeError as exc:
            # The scorer's own `encode("utf-8")` raises here, so such text always fails.
            data = svg.encode("utf-8", "surrogatepass")
            errors.append(Violation("encoding", f"text cannot be encoded as UTF-8: {exc.reason}"))
    else:
        data = bytes(svg)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(Violation("encoding", f"not UTF-8 text (bad byte at offset {exc.start})"))
    size = len(data)
    if size > max_bytes:
        errors.append(Violation("size", f"{size} bytes exceeds the limit of {max_bytes}"))
    if errors and errors[-1].kind == "encoding":
        return ValidationResult(False, size, tuple(errors))

    try:
        root = defused_etree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        errors.append(Violation("parse", f"forbidden XML construct: {type(exc).__name__}"))
        return ValidationResult(False, size, tuple(errors))
    except ParseError as exc:
        errors.append(Violation("parse", f"not well-formed XML: {exc}"))
        return ValidationResult(False, size, tuple(errors))

    errors.extend(_check_tree(root, allowlist(gateway)))
    return ValidationResult(not errors, size, tuple(errors))


def _check_tree(root, allowed: dict[str, frozenset[str]]) -> list[Violation]:
    errors: list[Violation] = []
    common = allowed["common"]
    for element in root.iter():
        tag = local_name(element.tag)
        if tag not in allowed:
            errors.append(Violation("element", f"disallowed element <{tag}>", element=tag))
            own: frozenset[str] = frozenset()
        else:
            own = allowed[tag]
        for attr, value in element.attrib.items():
            name = local_name(attr)
            if tag in allowed and name not in own and name not in common:
                errors.append(Violation("attribute", f"disallowed attribute {name!r} on <{tag}>", tag, name))
            if "data:" in value.lower():
                errors.append(Violation("data-uri", f"embedded data in {name!r} on <{tag}>", tag, name))
            if ";base64" in value:
                errors.append(Violation("base64", f"base64 content in {name!r} on <{tag}>", tag, name))
            if name == "href" and not value.startswith("#"):
                errors.append(
                    Violation(
                        "href",
                        f"href on <{tag}> must start with '#' (found {value[:40]!r})",
                        tag,
                        name,
                    )
                )
    return errors


def is_valid(svg: str | bytes, *, max_bytes: int = MAX_SVG_BYTES, gateway: bool = False) -> bool:
    """True when the scorer would accept the SVG."""
    return validate(svg, max_bytes=max_bytes, gateway=gateway).valid
