"""The documents the bureau used to make by hand: the Excel ledger (台账), the quarterly
circular (通报), the urging and supervision orders (催办单 / 督办单). Each is built from the
same snapshot the views show, so a document never says what the page does not."""
