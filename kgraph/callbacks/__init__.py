"""Callbacks: hooks into `fit`, `evaluate` and `predict`, as in Keras 3.

kgraph's native loop returns to Python between epochs, or between chunks of
batches: epoch hooks run as in Keras, batch hooks at chunk boundaries.
"""

from kgraph.callbacks.backup_and_restore import BackupAndRestore
from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback_list import CallbackList
from kgraph.callbacks.csv_logger import CSVLogger
from kgraph.callbacks.early_stopping import EarlyStopping
from kgraph.callbacks.history import History
from kgraph.callbacks.lambda_callback import LambdaCallback
from kgraph.callbacks.learning_rate_scheduler import LearningRateScheduler
from kgraph.callbacks.model_checkpoint import ModelCheckpoint
from kgraph.callbacks.monitor_callback import MonitorCallback
from kgraph.callbacks.progbar_logger import ProgbarLogger
from kgraph.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kgraph.callbacks.remote_monitor import RemoteMonitor
from kgraph.callbacks.swap_ema_weights import SwapEMAWeights
from kgraph.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TerminateOnNaN",
]
