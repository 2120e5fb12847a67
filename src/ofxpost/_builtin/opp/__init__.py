"""The built-in plugin that reads configs written for digitalmodel's ``opp`` module."""
