"""``brickwork.callbacks``: hooks into fit, evaluate and predict."""
from brickwork.callbacks.backup_and_restore import BackupAndRestore
from brickwork.callbacks.callback import Callback, CallbackList
from brickwork.callbacks.csv_logger import CSVLogger
from brickwork.callbacks.early_stopping import EarlyStopping
from brickwork.callbacks.history import History
from brickwork.callbacks.lambda_callback import LambdaCallback
from brickwork.callbacks.learning_rate_scheduler import LearningRateScheduler
from brickwork.callbacks.model_checkpoint import ModelCheckpoint
from brickwork.callbacks.monitor_callback import MonitorCallback
from brickwork.callbacks.progbar_logger import ProgbarLogger
from brickwork.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from brickwork.callbacks.remote_monitor import RemoteMonitor
from brickwork.callbacks.swap_ema_weights import SwapEMAWeights
from brickwork.callbacks.tensorboard import TensorBoard
from brickwork.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "EarlyStopping", "History", "ProgbarLogger", "CSVLogger",
           "LambdaCallback", "LearningRateScheduler", "MonitorCallback", "ReduceLROnPlateau",
           "TerminateOnNaN", "ModelCheckpoint", "BackupAndRestore", "TensorBoard",
           "RemoteMonitor", "SwapEMAWeights"]
