"""The labels of a model field's choices, for lists that show one per row."""


def choice_labels(model, field):
    """{value: label} of a field's choices in the current language, as
    ``get_FOO_display`` gives them (a value outside the choices is shown as
    itself: ``labels.get(value, value)``). get_FOO_display builds and hashes the
    whole choice list on every call (some 50 µs); a list reads it once."""
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}
