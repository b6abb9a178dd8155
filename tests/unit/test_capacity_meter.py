"""The capacity benchmark's item sizes follow DynamoDB's published rules (a transaction's units
are computed from them: DynamoDB Local reports a flat 4.0 for every transaction)."""

from bench.capacity_meter import item_size


def test_an_items_size_is_its_attribute_names_plus_their_values():
    assert item_size({"PK": {"S": "USER#a"}}) == 2 + 6
    assert item_size({"name": {"S": "张三"}}) == 4 + 6  # UTF-8: 3 bytes a character
    assert item_size({"ok": {"BOOL": True}, "gone": {"NULL": True}}) == (2 + 1) + (4 + 1)


def test_a_number_counts_one_byte_per_two_significant_digits_plus_one():
    assert item_size({"n": {"N": "0"}}) == 1 + 2
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"n": {"N": "-1000"}}) == 1 + 2  # trailing zeros are trimmed
    assert item_size({"n": {"N": "0.001"}}) == 1 + 2


def test_maps_and_lists_add_three_bytes_and_one_per_element():
    assert item_size({"m": {"M": {"a": {"S": "x"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert item_size({"l": {"L": [{"S": "x"}, {"N": "1"}]}}) == 1 + 3 + (1 + 1) + (2 + 1)
