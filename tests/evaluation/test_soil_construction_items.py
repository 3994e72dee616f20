"""GB 36600-2018 Table 1 items beyond the metals (volatile and semi-volatile organics), at the edges of their
screening and intervention values for first- and second-class land."""

from __future__ import annotations

import numpy as np
import pytest

from ecomon.standards import soil

# Table 1 rows (mg/kg): screening class 1, class 2, intervention class 1, class 2.
TABLE_1_ORGANICS = {
    "CCl4": (0.9, 2.8, 9, 36), "chloroform": (0.3, 0.9, 5, 10), "vinyl_chloride": (0.12, 0.43, 1.2, 4.3),
    "TCE": (0.7, 2.8, 7, 20), "benzene": (1, 4, 10, 40), "toluene": (1200, 1200, 1200, 1200),
    "ethylbenzene": (7.2, 28, 72, 280), "naphthalene": (25, 70, 255, 700), "BaP": (0.55, 1.5, 5.5, 15),
    "BaA": (5.5, 15, 55, 151), "DBahA": (0.55, 1.5, 5.5, 15),
}


@pytest.mark.parametrize("item", sorted(TABLE_1_ORGANICS))
@pytest.mark.parametrize("land_class", [1, 2])
def test_each_organic_item_at_its_values(item: str, land_class: int) -> None:
    screening = TABLE_1_ORGANICS[item][land_class - 1]
    intervention = TABLE_1_ORGANICS[item][land_class + 1]
    above_screening = np.nextafter(screening, np.inf)
    values = np.array([screening, above_screening, intervention, np.nextafter(intervention, np.inf)])
    result = soil.assess_construction({item: values}, land_class)
    # Where both values coincide (toluene 1200), exceeding one exceeds the other.
    expected = [0, 1, 1, 2] if intervention > screening else [0, 2, 0, 2]
    assert result.category.tolist() == expected
    assert np.isnan(result.over_screening[item][0]) and result.over_screening[item][1] > 0


def test_the_table_holds_these_rows() -> None:
    assert {k: soil.TABLE_36600[k] for k in TABLE_1_ORGANICS} == TABLE_1_ORGANICS
