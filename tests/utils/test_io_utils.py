"""Interactive logging: progress to the console, or to Python's logging."""

from __future__ import annotations

import logging

import kgraph as kg
from kgraph.utils.progbar import print_msg


def test_disabling_sends_messages_to_logging(capsys, caplog):
    assert kg.utils.is_interactive_logging_enabled()
    kg.utils.disable_interactive_logging()
    try:
        assert not kg.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="kgraph"):
            print_msg("Epoch 1/2")
        assert capsys.readouterr().out == ""
        assert "Epoch 1/2" in caplog.text
    finally:
        kg.utils.enable_interactive_logging()
    print_msg("Epoch 2/2")
    assert capsys.readouterr().out == "Epoch 2/2\n"


def test_progbar_is_exported_with_keras_arguments():
    bar = kg.utils.Progbar(10, width=5, verbose=0, unit_name="sample")
    bar.update(5, [("loss", 2.0)])
    assert bar.values() == {"loss": 2.0}
