"""Pages for people: ``/`` lists every form, grouped by jurisdiction, in Chinese."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, render_template

from forms import all_forms

from .schemas import derived_mark, form_validity

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    groups = []
    for key, specs in groupby(all_forms(), key=lambda s: s.jurisdiction):
        specs = list(specs)
        # a document's state is the same for each of its forms: said once, above its table
        validity = form_validity(specs[0])
        groups.append({"jurisdiction": key, "name": specs[0].jurisdiction_name, "forms": specs,
                       "validity": validity})
    return render_template("index.html", groups=groups, derived_mark=derived_mark,
                           form_validity=form_validity)
