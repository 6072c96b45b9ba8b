// Modal questions (run for real? delete?): show a <dialog> and resolve with the chosen button.

export function choose(dialog, focusChoice) {
  return new Promise((resolve) => {
    const done = (choice) => {
      dialog.removeEventListener("click", onClick);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      resolve(choice);
    };
    const onClick = (event) => {
      const button = event.target.closest("[data-choice]");
      if (button) done(button.dataset.choice);
    };
    const onCancel = () => done("cancel");
    dialog.addEventListener("click", onClick);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    dialog.querySelector(`[data-choice="${focusChoice}"]`).focus();
  });
}
