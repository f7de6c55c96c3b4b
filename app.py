"""`streamlit run app.py` from a clone: runs the researcher app, which lives in the package
(interview_miner/app/streamlit_app.py) so that an installed copy carries it too. `interview-miner
app` and `make app` start the same script."""
import runpy

from interview_miner.app import MAIN_SCRIPT

runpy.run_path(str(MAIN_SCRIPT), run_name="__main__")
