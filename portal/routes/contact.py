"""placeholder"""
from flask import Blueprint

bp = Blueprint("contact", __name__)
