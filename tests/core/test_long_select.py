"""Long option lists (countries, time zones, currencies) rendered from precomputed HTML give
the markup WTForms' own select gives, with the chosen value marked, in each language."""

from __future__ import annotations

import pytest
from flask import Flask
from wtforms import SelectField, widgets

from competitions.core.forms import BaseForm, CountryField, CurrencyField, TimeZoneField
from competitions.core.translate import lazy_gettext as _l


class PlacesForm(BaseForm):
    class Meta:
        csrf = False

    country = CountryField("Country", blank=_l("Select a country"))
    zone = TimeZoneField("Time zone")
    currency = CurrencyField("Currency")


def _plain(field: SelectField) -> str:
    return str(widgets.Select()(field))


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("data", [{}, {"country": "FR", "zone": "Europe/Paris", "currency": "EUR"}])
def test_same_markup_as_wtforms(app: Flask, lang: str, data: dict[str, str]):
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        for _ in range(2):  # computed, then reused
            form = PlacesForm(data=data)
            for field in (form.country, form.zone, form.currency):
                assert str(field()) == _plain(field)
            if data:
                assert '<option selected value="FR">' in str(form.country())


def test_each_language_has_its_own_list(app: Flask):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        french = str(PlacesForm().country())
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = str(PlacesForm().country())
    assert ">Allemagne<" in french and ">Select a country<" not in french
    assert ">Germany<" in english and ">Select a country<" in english


def test_choices_replaced_by_a_view_are_rendered(app: Flask):
    with app.test_request_context("/"):
        form = PlacesForm(data={"country": "CA"})
        form.country.choices = [("CA", "Canada"), ("US", "United States")]
        html = str(form.country())
        assert html == _plain(form.country)
        assert "France" not in html
